package dev.diskimage.catalog.templates;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A template source in a directory of this host (lago's {@code "type": "file"} with
 * {@code "args": {"root": ...}}). Only repositories read from a local file may declare one: a
 * repository fetched over HTTP could otherwise make this host read and copy any of its files.
 *
 * @param name the source's name in the repository document
 * @param root the directory handles are relative to; absolute and normalized
 */
public record FileTemplateSource(String name, Path root) implements TemplateSource {

    /**
     * Checks the components.
     *
     * @throws IllegalArgumentException if {@code root} is not absolute
     */
    public FileTemplateSource {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(root, "root");
        if (!root.isAbsolute()) {
            throw new IllegalArgumentException("the root of a file template source must be absolute: " + root);
        }
        root = root.normalize();
    }

    /**
     * The file {@code relative} names below the root.
     *
     * @param relative a handle checked by the repository (relative, no {@code ..}), possibly with a suffix
     * @return the path below {@link #root()}
     * @throws IllegalArgumentException if the result would leave the root
     */
    public Path resolve(String relative) {
        Path resolved = root.resolve(relative).normalize();
        if (!resolved.startsWith(root) || resolved.equals(root)) {
            throw new IllegalArgumentException("the handle " + relative + " leaves the source root " + root);
        }
        return resolved;
    }

    @Override
    public String describe(String relative) {
        return resolve(relative).toString();
    }
}
