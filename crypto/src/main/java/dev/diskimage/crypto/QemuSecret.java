package dev.diskimage.crypto;

import dev.diskimage.core.ImageIoException;
import dev.diskimage.core.IoErrorText;
import dev.diskimage.core.OrphanedFiles;
import dev.diskimage.core.QemuObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A passphrase on its way to qemu-img: written to a 0600 file inside a fresh 0700 directory,
 * handed to qemu-img as {@code --object secret,id=<id>,file=<file>} (never {@code data=} on a
 * command line, which {@code ps} shows to every user), and deleted with its directory on
 * {@link #close()}. DESIGN.md rule 8.
 *
 * <pre>{@code
 * try (QemuSecret secret = QemuSecret.write("sec0", passphrase)) {
 *     CipherSpec cipher = CipherSpec.decode("aes-xts-plain64", 512);
 *     Map<String, String> options = new LinkedHashMap<>();
 *     options.put("encrypt.format", "luks");
 *     options.put("encrypt.key-secret", secret.id());
 *     options.putAll(cipher.qemuOptions("encrypt."));
 *     // qemu-img convert --object secret.object().toArgument() -O qcow2 -o <options> ...
 * }   // file and directory are gone here
 * }</pre>
 *
 * <p>The file holds exactly the passphrase bytes (no newline), which is what qemu reads from a
 * secret file. {@link #toString()} names the id and the file, never the content. Not
 * thread-safe for concurrent {@code close}; closing twice is harmless.
 */
public final class QemuSecret implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(QemuSecret.class);
    private static final Pattern ID = Pattern.compile("^[A-Za-z][A-Za-z0-9_.-]{0,63}$");
    private static final Set<PosixFilePermission> OWNER_FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_DIRECTORY = PosixFilePermissions.fromString("rwx------");
    private static final String FILE_NAME = "secret";
    private static final String DIRECTORY_PREFIX = "diskimage-secret-";
    // createTempDirectory appends a random decimal number to "diskimage-secret-<pid>-".
    private static final Pattern DIRECTORY_NAME = Pattern.compile(
            "^" + Pattern.quote(DIRECTORY_PREFIX) + "(\\d{1,19})-\\d+$");

    private final String id;
    private final Path directory;
    private final Path file;
    private boolean closed;

    private QemuSecret(String id, Path directory, Path file) {
        this.id = id;
        this.directory = directory;
        this.file = file;
    }

    /**
     * Writes {@code passphrase} to a new secret file under the system temporary directory.
     *
     * @param id the qemu object id that options such as {@code key-secret} refer to: a letter,
     *     then up to 63 letters, digits, {@code _}, {@code .} or {@code -}
     * @param passphrase the passphrase bytes; not changed, not kept
     * @return the secret; close it when qemu-img has finished
     * @throws IllegalArgumentException if {@code id} is not such a name
     * @throws ImageIoException if the directory or file cannot be created or written (nothing is
     *     left behind)
     * @throws UnsupportedOperationException if the file system has no POSIX permissions
     */
    public static QemuSecret write(String id, byte[] passphrase) {
        return write(id, passphrase, Path.of(System.getProperty("java.io.tmpdir")));
    }

    /**
     * Writes {@code passphrase}, encoded as UTF-8, to a new secret file under the system
     * temporary directory.
     *
     * @param id the qemu object id (see {@link #write(String, byte[])})
     * @param passphrase the passphrase; not changed, not kept
     * @return the secret; close it when qemu-img has finished
     * @throws IllegalArgumentException if {@code id} is not a plain name
     * @throws ImageIoException if the directory or file cannot be created or written
     * @throws UnsupportedOperationException if the file system has no POSIX permissions
     */
    public static QemuSecret write(String id, char[] passphrase) {
        byte[] bytes = Passphrase.utf8(passphrase);
        try {
            return write(id, bytes);
        } finally {
            Secrets.wipe(bytes);
        }
    }

    /**
     * Writes {@code passphrase} (read from its file now, if it comes from one) to a new secret
     * file in a fresh 0700 directory inside {@code parent}.
     *
     * @param id the qemu object id (see {@link #write(String, byte[])})
     * @param passphrase the passphrase; its bytes are wiped from memory once written
     * @param parent an existing directory
     * @return the secret; close it when qemu-img has finished
     * @throws IllegalArgumentException if {@code id} is not a plain name
     * @throws ImageIoException if the passphrase file cannot be read, or the directory or file
     *     cannot be created or written
     * @throws UnsupportedOperationException if the file system has no POSIX permissions
     */
    public static QemuSecret write(String id, Passphrase passphrase, Path parent) {
        byte[] bytes = passphrase.bytes();
        try {
            return write(id, bytes, parent);
        } finally {
            Secrets.wipe(bytes);
        }
    }

    /**
     * Writes {@code passphrase} to a new secret file in a fresh 0700 directory inside {@code parent}
     * (for example the image conversion directory, so the secret lives beside the images).
     *
     * @param id the qemu object id (see {@link #write(String, byte[])})
     * @param passphrase the passphrase bytes; not changed, not kept
     * @param parent an existing directory
     * @return the secret; close it when qemu-img has finished
     * @throws IllegalArgumentException if {@code id} is not a plain name
     * @throws ImageIoException if the directory or file cannot be created or written
     * @throws UnsupportedOperationException if the file system has no POSIX permissions
     */
    public static QemuSecret write(String id, byte[] passphrase, Path parent) {
        Objects.requireNonNull(passphrase, "passphrase");
        if (!ID.matcher(Objects.requireNonNull(id, "id")).matches()) {
            throw new IllegalArgumentException("bad qemu secret id: " + id);
        }
        if (!FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            throw new UnsupportedOperationException("secret files need a file system with POSIX permissions");
        }
        // A JVM killed with SIGKILL left its secrets behind: the next one to write here removes them.
        removeStale(parent);
        Path directory;
        try {
            directory = Files.createTempDirectory(parent, DIRECTORY_PREFIX + OrphanedFiles.ownerTag() + "-",
                    PosixFilePermissions.asFileAttribute(OWNER_DIRECTORY));
        } catch (IOException e) {
            throw new ImageIoException("could not create a secret directory in", parent, e);
        }
        Path file = directory.resolve(FILE_NAME);
        FileAttribute<Set<PosixFilePermission>> mode = PosixFilePermissions.asFileAttribute(OWNER_FILE);
        try (SeekableByteChannel out = Files.newByteChannel(file,
                Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), mode)) {
            ByteBuffer bytes = ByteBuffer.wrap(passphrase);
            while (bytes.hasRemaining()) {
                out.write(bytes);
            }
        } catch (IOException e) {
            new QemuSecret(id, directory, file).close();
            throw new ImageIoException("could not write a secret file in", directory, e);
        }
        LOG.debug("wrote qemu secret '{}' to {}", id, file);
        return new QemuSecret(id, directory, file);
    }

    /**
     * The qemu object id.
     *
     * @return the id given to {@code write}
     */
    public String id() {
        return id;
    }

    /**
     * The secret file (0600, in its own 0700 directory).
     *
     * @return the file's path
     */
    public Path file() {
        return file;
    }

    /**
     * The {@code --object} qemu-img needs: {@code secret,id=<id>,file=<file>}.
     *
     * @return the object; {@link QemuObject#toArgument()} renders it
     */
    public QemuObject object() {
        return QemuObject.secretFile(id, file);
    }

    /**
     * Overwrites the file with zeros, then deletes it and its directory. Failures are logged
     * (the path, never content), not thrown: a secret that cannot be deleted must not hide the
     * outcome of the qemu-img run it served.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            wipeAndDelete(file);
        } catch (NoSuchFileException gone) {
            // Already deleted: nothing to wipe.
        } catch (IOException e) {
            LOG.warn("could not delete secret file {}: {}", file, IoErrorText.describe(e));
        }
        try {
            Files.deleteIfExists(directory);
        } catch (IOException e) {
            LOG.warn("could not delete secret directory {}: {}", directory, IoErrorText.describe(e));
        }
    }

    /**
     * Removes the secret directories in {@code parent} that a JVM killed with SIGKILL left
     * behind (their names carry its pid; see {@link OrphanedFiles}), wiping the secret first.
     * Every {@code write} does it in the directory it writes to.
     *
     * @param parent a directory secrets are written to
     * @return the directories removed
     */
    public static List<Path> removeStale(Path parent) {
        return OrphanedFiles.remove(parent, DIRECTORY_PREFIX + "*", DIRECTORY_NAME, "secret directory", directory -> {
            if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            Path file = directory.resolve(FILE_NAME);
            if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                wipeAndDelete(file);
            }
            Files.deleteIfExists(directory);
        });
    }

    /** Overwrites {@code file} with zeros (never following a link), then deletes it. */
    private static void wipeAndDelete(Path file) throws IOException {
        long size = Files.size(file);
        try (SeekableByteChannel out = Files.newByteChannel(file, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
            ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(size, 1 << 16));
            for (long written = 0; written < size; ) {
                zeros.clear().limit((int) Math.min(zeros.capacity(), size - written));
                written += out.write(zeros);
            }
        }
        Files.delete(file);
    }

    /**
     * Names the id and the file, never the content.
     *
     * @return e.g. {@code QemuSecret[id=sec0, file=/tmp/diskimage-secret-123/secret]}
     */
    @Override
    public String toString() {
        return "QemuSecret[id=" + id + ", file=" + file + "]";
    }
}
