#include <stdio.h>
int main(void) { puts("cxroi: under construction"); return 0; }
