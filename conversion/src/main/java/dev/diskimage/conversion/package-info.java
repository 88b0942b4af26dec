/**
 * diskimage conversion module: its capabilities arrive with their issues; see DESIGN.md for its scope.
 */
package dev.diskimage.conversion;
