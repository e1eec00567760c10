{
  os = "darwin";
  channel = "unstable";
}
