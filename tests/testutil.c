/*
 * testutil.c - helpers shared by the unit tests.
 */
#include "testutil.h"
