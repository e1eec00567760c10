# `nix run .#make`: GNU make with the fleet's `makefileInputs` for this system on PATH, as
# Nixverse provides it for a Makefile beside the nodes (outputs/perSystem/makefileInputs.nix, or a
# flake-parts module's perSystem.makefileInputs).
{ makefileInputs }:
{
  lib,
  stdenv,
  makeShellWrapper,
  gnumake,
}:
stdenv.mkDerivation {
  name = "nixverse-make";
  nativeBuildInputs = [ makeShellWrapper ];
  dontUnpack = true;
  dontConfigure = true;
  dontBuild = true;
  installPhase = ''
    runHook preInstall
    mkdir -p $out/bin
    makeShellWrapper ${lib.getExe gnumake} $out/bin/make --prefix PATH : ${lib.makeBinPath makefileInputs}
    runHook postInstall
  '';
  meta.mainProgram = "make";
}
