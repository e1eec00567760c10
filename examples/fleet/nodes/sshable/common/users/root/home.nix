# Home-manager configuration of root on every sshable node; modules' comes from modules/home.
{ modules', ... }:
{
  imports = [ modules'.shell ];
  fleet.shell.prompt = "root@fleet";
  home.stateVersion = "26.05";
}
