{
  services.nginx.virtualHosts."www.example.org".root = "/srv/www";
}
