// SPDX-License-Identifier: MIT
// consumer.cpp -- consumer.c compiled as C++: the installed headers are C++'s too.
#include "consumer.c"
