#include "xds/consistency.h"
