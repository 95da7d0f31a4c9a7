// enfinitod: thin entry point (args -> config -> app -> run -> exit code).
int main() { return 0; }
