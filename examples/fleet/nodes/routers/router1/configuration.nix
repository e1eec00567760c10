{
  services.kea.dhcp4.enable = true;
}
