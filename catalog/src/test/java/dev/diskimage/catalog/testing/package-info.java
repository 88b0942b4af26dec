/** Test fixtures that other modules' tests share (the catalog test jar): a real glance-api without Keystone. */
package dev.diskimage.catalog.testing;
