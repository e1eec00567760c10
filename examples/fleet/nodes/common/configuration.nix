# Every node of the fleet.
{
  time.timeZone = "UTC";
  nix.settings.experimental-features = [
    "nix-command"
    "flakes"
  ];
}
