#include "xds/snapshot.h"
