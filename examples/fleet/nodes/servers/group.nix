{
  common.deploy.buildOnRemote = true;
  web1.deploy.targetHost = "root@10.0.1.11";
  web2.deploy.targetHost = "root@10.0.1.12";
}
