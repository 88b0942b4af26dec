package dev.diskimage.core;

import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where images are downloaded and converted: Cinder's {@code image_conversion_dir} option,
 * together with the backend on whose behalf temporary files are made.
 *
 * <p>Replaces Cinder's {@code create_temporary_file}, {@code temporary_file},
 * {@code temporary_dir} and {@code cleanup_temporary_file}. What it does more:
 * <ul>
 *   <li>files are created 0600 and directories 0700 atomically (the permissions are part of the
 *       create call, not a {@code chmod} afterwards), so there is no window in which others
 *       can read a downloaded image;</li>
 *   <li>every entry is named {@code diskimage.<backend>.<prefix><random><suffix>} (the backend
 *       name percent-encoded), so {@link #cleanupTemporaryFiles(String)} removes exactly one
 *       backend's leftovers, where Cinder's "name ends with the backend name" also hits other
 *       backends whose names end the same way;</li>
 *   <li>deletion never follows a symbolic link, and cleanup leaves links, devices and foreign
 *       files alone.</li>
 * </ul>
 *
 * <p>The directory is created (0700 for each level made) on first use, as Cinder does with
 * {@code ensure_tree}. Instances are immutable values; the methods are thread-safe.
 *
 * @param path        the conversion directory, made absolute
 * @param backendName the backend whose temporary files this instance creates; any non-empty
 *                    name of at most 96 characters once percent-encoded
 */
public record ImageConversionDirectory(Path path, String backendName) {

    /** The backend name used when a caller does not name one. */
    public static final String DEFAULT_BACKEND = "default";

    private static final Logger LOG = LoggerFactory.getLogger(ImageConversionDirectory.class);

    private static final String POSIX_VIEW = "posix";
    private static final Set<PosixFilePermission> OWNER_READ_WRITE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_ONLY_DIRECTORY = PosixFilePermissions.fromString("rwx------");

    /**
     * Validates and normalises the components.
     *
     * @param path        the conversion directory; a relative path is made absolute against the
     *                    working directory
     * @param backendName the backend whose temporary files this instance creates
     * @throws NullPointerException     if a component is null
     * @throws IllegalArgumentException if the backend name is empty or too long
     */
    public ImageConversionDirectory {
        Objects.requireNonNull(path, "path");
        path = path.toAbsolutePath();
        BackendFileNames.encode(backendName);
    }

    /**
     * The JVM's temporary directory ({@code java.io.tmpdir}) for the default backend.
     *
     * @return the directory for backend {@link #DEFAULT_BACKEND}
     */
    public static ImageConversionDirectory systemDefault() {
        return of(Path.of(System.getProperty("java.io.tmpdir")));
    }

    /**
     * {@code directory} for the default backend.
     *
     * @param directory the conversion directory; made absolute, and created on first use
     * @return the directory for backend {@link #DEFAULT_BACKEND}
     * @throws NullPointerException if {@code directory} is null
     */
    public static ImageConversionDirectory of(Path directory) {
        return new ImageConversionDirectory(directory, DEFAULT_BACKEND);
    }

    /**
     * The same directory, creating temporary files on behalf of {@code name}.
     *
     * @param name the backend name; not empty, at most 96 characters once percent-encoded
     * @return a directory with the same path and backend {@code name}
     * @throws NullPointerException if the name is null
     * @throws IllegalArgumentException if the name is empty or too long
     */
    public ImageConversionDirectory forBackend(String name) {
        return new ImageConversionDirectory(path, name);
    }

    /**
     * Creates an empty temporary file with no caller prefix or suffix.
     *
     * @return the handle of the new file, named {@code diskimage.<backend>.<random>}; closing it
     *     deletes the file
     * @throws ImageIoException if the directory or the file cannot be created
     * @see #temporaryFile(String, String)
     */
    public TemporaryFile temporaryFile() {
        return temporaryFile("", "");
    }

    /**
     * Creates an empty temporary file, readable and writable by its owner only, named
     * {@code diskimage.<backend>.<prefix><random><suffix>}; closing the handle deletes it.
     *
     * @param prefix put before the random part, e.g. {@code "image_download_" + imageId + "_"};
     *               empty for none
     * @param suffix put after the random part, e.g. {@code ".qcow2"}; empty for none
     * @return the handle of the new file; its {@link TemporaryFile#path()} is absolute
     * @throws NullPointerException     if prefix or suffix is null
     * @throws IllegalArgumentException if prefix or suffix contain a path separator or NUL
     * @throws ImageIoException         if the directory or the file cannot be created
     */
    public TemporaryFile temporaryFile(String prefix, String suffix) {
        String namePrefix = BackendFileNames.prefixFor(backendName) + checkedPart(prefix, "prefix");
        String nameSuffix = checkedPart(suffix, "suffix");
        ensureExists();
        try {
            Path created = supportsPosix()
                    ? Files.createTempFile(path, namePrefix, nameSuffix, PosixFilePermissions.asFileAttribute(OWNER_READ_WRITE))
                    : Files.createTempFile(path, namePrefix, nameSuffix);
            LOG.debug("created temporary file {} for backend {}", created, backendName);
            return new TemporaryFile(created);
        } catch (IOException e) {
            throw new ImageIoException("could not create a temporary file in", path, e);
        }
    }

    /**
     * Creates an empty temporary directory, accessible to its owner only, named
     * {@code diskimage.<backend>.<random>}; closing the handle deletes it with all its content,
     * never following links.
     *
     * @return the handle of the new directory; its {@link TemporaryDirectory#path()} is absolute
     * @throws ImageIoException if the conversion directory or the directory cannot be created
     */
    public TemporaryDirectory temporaryDirectory() {
        String namePrefix = BackendFileNames.prefixFor(backendName);
        ensureExists();
        try {
            Path created = supportsPosix()
                    ? Files.createTempDirectory(path, namePrefix, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIRECTORY))
                    : Files.createTempDirectory(path, namePrefix);
            LOG.debug("created temporary directory {} for backend {}", created, backendName);
            return new TemporaryDirectory(created);
        } catch (IOException e) {
            throw new ImageIoException("could not create a temporary directory in", path, e);
        }
    }

    /**
     * Removes the temporary files and directories that this project created in this directory
     * for {@code name}, and nothing else: not other backends' entries, not entries named
     * otherwise, not symbolic links, devices, fifos or sockets even if named like ours.
     * Directories are removed with their content, never following links. Meant to run when a
     * backend starts, before it creates temporary files of its own (Cinder's
     * {@code cleanup_temporary_file} in {@code init_host}): entries still in use are removed too.
     *
     * <p>Like Cinder, a failure does not stop the caller's start-up: an entry that cannot be
     * removed is logged as a warning and the others are still tried; a conversion directory
     * that does not exist has nothing to clean.
     *
     * @param name the backend whose leftovers to remove
     * @return the entries that were removed, in the order they were found
     * @throws IllegalArgumentException if the name is empty or too long
     */
    public List<Path> cleanupTemporaryFiles(String name) {
        String ours = BackendFileNames.prefixFor(name);
        if (!Files.isDirectory(path)) {
            LOG.debug("image conversion directory {} does not exist; nothing to clean for backend {}", path, name);
            return List.of();
        }
        List<Path> removed = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(path)) {
            for (Path entry : entries) {
                if (entry.getFileName().toString().startsWith(ours)) {
                    removeLeftover(entry, name, removed);
                }
            }
        } catch (IOException | DirectoryIteratorException e) {
            LOG.warn("could not list image conversion directory {} to clean backend {}: {}", path, name, e.toString());
        }
        LOG.info("removed {} leftover temporary entries of backend {} from {}", removed.size(), name, path);
        return List.copyOf(removed);
    }

    /**
     * Removes this instance's backend's leftovers; see {@link #cleanupTemporaryFiles(String)}.
     *
     * @return the entries that were removed, in the order they were found
     */
    public List<Path> cleanupTemporaryFiles() {
        return cleanupTemporaryFiles(backendName);
    }

    private static void removeLeftover(Path entry, String name, List<Path> removed) {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(entry, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException gone) {
            return;
        } catch (IOException e) {
            LOG.warn("left {} alone: cannot read its attributes: {}", entry, e.toString());
            return;
        }
        // We only ever create regular files and directories; anything else carrying our name
        // was put there by someone else and is not ours to delete.
        if (!attributes.isRegularFile() && !attributes.isDirectory()) {
            LOG.warn("left {} alone: named like a temporary entry of backend {} but is not a regular file or directory",
                    entry, name);
            return;
        }
        try {
            RecursiveDeletion.delete(entry);
            removed.add(entry);
            LOG.info("removed leftover temporary {} {} of backend {}",
                    attributes.isDirectory() ? "directory" : "file", entry, name);
        } catch (IOException e) {
            LOG.warn("could not remove leftover temporary entry {} of backend {}: {}", entry, name, e.toString());
        }
    }

    private void ensureExists() {
        try {
            if (supportsPosix()) {
                Files.createDirectories(path, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIRECTORY));
            } else {
                Files.createDirectories(path);
            }
        } catch (IOException e) {
            throw new ImageIoException("could not create image conversion directory", path, e);
        }
    }

    private boolean supportsPosix() {
        return path.getFileSystem().supportedFileAttributeViews().contains(POSIX_VIEW);
    }

    private static String checkedPart(String part, String what) {
        Objects.requireNonNull(part, what);
        if (part.indexOf('/') >= 0 || part.indexOf('\\') >= 0 || part.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(what + " must not contain a path separator or NUL: '" + part + "'");
        }
        return part;
    }
}
