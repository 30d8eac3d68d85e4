// Package archtest holds no code, only tests that keep the repository's
// shape as issue 9 left it: the import rules between the top-level
// folders, the size of files and functions, the daemon package's size, a
// package doc in every package, and nothing pointing outside the
// repository.
package archtest
