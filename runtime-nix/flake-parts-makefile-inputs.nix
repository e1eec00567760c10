# The flake-parts option b1b80d5 declares for a b1b80d5-style outputs.nix: perSystem.makefileInputs,
# transposed to the flake output makefileInputs.<system> that `apps.make` reads.
{ lib, flake-parts-lib, ... }:
flake-parts-lib.mkTransposedPerSystemModule {
  name = "makefileInputs";
  option = lib.mkOption {
    type = lib.types.listOf lib.types.package;
    default = [ ];
    description = "Packages on the Makefile's PATH when it runs through `nix run .#make`.";
  };
  file = ./flake-parts-makefile-inputs.nix;
}
