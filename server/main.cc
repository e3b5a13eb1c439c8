// Composition root (being written): wires config, storage, logging, s3 and http.
int main() { return 1; }
