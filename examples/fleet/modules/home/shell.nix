# A custom home-manager module, imported by name as modules'.shell.
{ config, lib, ... }:
{
  options.fleet.shell.prompt = lib.mkOption {
    type = lib.types.str;
    default = "fleet";
    description = "Prompt text for interactive shells.";
  };
  config.programs.bash = {
    enable = true;
    initExtra = ''PS1="${config.fleet.shell.prompt}$ "'';
  };
}
