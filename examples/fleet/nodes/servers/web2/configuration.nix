# web2 serves what web1 serves, read from web1's own configuration.
{ nodes, ... }:
{
  services.nginx.virtualHosts = nodes.web1.config.services.nginx.virtualHosts;
}
