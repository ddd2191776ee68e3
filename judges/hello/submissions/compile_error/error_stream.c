/* A compiler bomb: an endless error stream. The file includes itself twice, so gcc
   walks a binary tree of depth 200 (its include limit) and reports an error, with the
   whole include chain, at every node; the compile sandbox's output limit ends it. */
#include __FILE__
#include __FILE__
int x = ;
