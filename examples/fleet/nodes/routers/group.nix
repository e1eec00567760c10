# Routers run the stable channel: a plain value beats sshable's mkDefault.
{
  common = {
    channel = "stable";
  };
  router1.deploy.targetHost = "root@10.0.0.1";
  router2.deploy.targetHost = "root@10.0.0.2";
}
