{
  services.keepalived.enable = true;
}
