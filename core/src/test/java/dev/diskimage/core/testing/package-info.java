/** Test fixtures shared by the tests of every module (the core test jar). */
package dev.diskimage.core.testing;
