# Cross-reference: server2 proxies to whatever port server1 opened, read from server1's config.
{ nodes, ... }:
{
  services.haproxy.enable = true;
  environment.etc."upstream-port".text = toString (builtins.head nodes.server1.config.networking.firewall.allowedTCPPorts);
}
