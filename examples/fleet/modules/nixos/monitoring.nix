# A custom NixOS module, imported by name as modules'.monitoring.
{ config, lib, ... }:
{
  options.fleet.monitoring.enable = lib.mkEnableOption "the node exporter";
  config = lib.mkIf config.fleet.monitoring.enable {
    services.prometheus.exporters.node.enable = true;
  };
}
