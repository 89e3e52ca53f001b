/* testutil.h - helpers shared by the unit tests. */
#ifndef KEFU_TESTUTIL_H
#define KEFU_TESTUTIL_H
#endif
