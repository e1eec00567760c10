# A group of groups: every node reachable over SSH. Its `common` reaches all their nodes.
{
  common =
    { lib, ... }:
    {
      os = lib.mkDefault "nixos";
      channel = lib.mkDefault "unstable";
      deploy.sshOpts = [ "StrictHostKeyChecking=accept-new" ];
    };
  servers = { };
  routers = { };
}
