# lib': our own helpers, available everywhere as `lib'`.
{ lib, ... }:
{
  # "10.0.1.11" for ("10.0.1", 11)
  address = net: host: "${net}.${toString host}";
  adminKeys = [ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleAdminKeyForTheFleetDocs admin@example.org" ];
}
