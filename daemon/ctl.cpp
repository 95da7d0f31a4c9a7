// enfinitoctl: administration commands.
int main() { return 0; }
