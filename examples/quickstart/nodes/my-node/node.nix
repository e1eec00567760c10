# Meta configuration of the node "my-node": which OS and nixpkgs channel it runs, and how to
# reach it. `nix run . node deploy my-node` reads deploy.*.
{
  os = "nixos";
  channel = "unstable";
  deploy.targetHost = "root@my-node.example.org";
}
