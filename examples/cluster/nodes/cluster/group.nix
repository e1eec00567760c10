# The group "cluster": its keys are its members; `common` applies to every one of them.
{
  common =
    { lib, ... }:
    {
      # mkDefault, so a member can pick another channel with a plain value.
      os = lib.mkDefault "nixos";
      channel = lib.mkDefault "unstable";
      deploy.buildOnRemote = true;
    };
  server1.deploy.targetHost = "root@server1.example.org";
  server2.deploy.targetHost = "root@server2.example.org";
  db = {
    channel = "stable";
    deploy.targetHost = "root@db.example.org";
  };
}
