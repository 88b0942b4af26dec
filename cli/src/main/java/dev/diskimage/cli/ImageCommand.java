package dev.diskimage.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diskimage.catalog.cache.ImageRefusedException;
import dev.diskimage.conversion.archive.ArchiveRefusedException;
import dev.diskimage.conversion.vhd.VhdChainException;
import dev.diskimage.conversion.vhd.VhdCorruptException;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.ImageException;
import dev.diskimage.core.ImageNotFoundException;
import dev.diskimage.core.ImageTooBigException;
import dev.diskimage.core.SignatureVerificationException;
import dev.diskimage.core.QemuImg;
import dev.diskimage.core.service.ImageConflictException;
import dev.diskimage.core.service.ImageIntegrityException;
import dev.diskimage.validation.FindingCode;
import dev.diskimage.validation.ImagePolicy;
import dev.diskimage.validation.ImageUnacceptableException;
import dev.diskimage.validation.ImageValidator;
import dev.diskimage.validation.ValidatedImage;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * What {@code diskimage info}, {@code convert}, {@code resize} and {@code measure} share: the
 * {@code --json}, {@code --quiet} and {@code --verbose} switches, validation before qemu-img, and
 * the exit-code contract (0 done, 1 a refused image, 2 a usage, set-up or I/O error), each
 * failure one line naming what the user controls.
 */
abstract class ImageCommand implements Callable<Integer> {
    @Option(names = "--json", description = "One JSON object (one line) instead of text.")
    boolean json;

    @Option(names = {"-q", "--quiet"}, description = "Print nothing; the exit code is the answer.")
    boolean quiet;

    @Option(names = {"-v", "--verbose"}, description = "Log what the library does (debug level, on stderr).")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The command's work; prints its result unless quiet. */
    abstract void execute(PrintWriter out, PrintWriter err) throws InterruptedException;

    @Override
    public final Integer call() throws InterruptedException {
        if (verbose) {
            Logging.enableDebug();
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String name = CommandLines.name(spec.commandLine());
        try {
            try {
                execute(out, err);
            } catch (VhdCorruptException e) {
                // Every vhd command reports a file that breaks the VHD format as a refused image.
                throw VhdCommand.refused(e.path(), e);
            }
        } catch (ImageRefusedException e) {
            // The image cache's gate (the validator) refused a download: a refused image.
            org.slf4j.LoggerFactory.getLogger(getClass()).debug("{} refused", name, e);
            err.println(name + ": " + oneLine(e.getMessage()));
            return e.getCause() instanceof ImageUnacceptableException unacceptable
                    && unacceptable.findings().stream().allMatch(f -> f.code() == FindingCode.UNREADABLE
                            || f.code() == FindingCode.NOT_A_REGULAR_FILE) ? ImageCheck.ERROR : ImageCheck.REJECTED;
        } catch (ImageUnacceptableException e) {
            err.println(name + ": " + oneLine(e.getMessage()));
            // A file that could not be read at all is an I/O error, as in image-check, not a verdict.
            return e.findings().stream().allMatch(f -> f.code() == FindingCode.UNREADABLE
                    || f.code() == FindingCode.NOT_A_REGULAR_FILE) ? ImageCheck.ERROR : ImageCheck.REJECTED;
        } catch (VhdChainException | ArchiveRefusedException e) {
            // A chain or an archive that breaks the rules is a refusal, like a refused image.
            org.slf4j.LoggerFactory.getLogger(getClass()).debug("{} refused", name, e);
            err.println(name + ": " + oneLine(e.getMessage()));
            return ImageCheck.REJECTED;
        } catch (ImageNotFoundException | ImageConflictException | ImageIntegrityException
                | SignatureVerificationException | ImageTooBigException e) {
            // An image service's answer about an image (none by that id, a state that refuses the
            // call, data whose hashes or signature do not match, too big for the volume) is a
            // refusal, not a failure to ask.
            org.slf4j.LoggerFactory.getLogger(getClass()).debug("{} refused", name, e);
            err.println(name + ": " + oneLine(FailureText.describe(e)));
            return ImageCheck.REJECTED;
        } catch (ImageException | IllegalArgumentException e) {
            org.slf4j.LoggerFactory.getLogger(getClass()).debug("{} failed", name, e);
            err.println(name + ": " + oneLine(FailureText.describe(e)));
            return ImageCheck.ERROR;
        }
        out.flush();
        if (out.checkError()) {
            err.println(name + ": cannot write to standard output");
            return ImageCheck.ERROR;
        }
        return ImageCheck.ACCEPTED;
    }

    /** The format a user named, or empty; an unknown name is a usage error listing the known ones. */
    static DiskFormat format(String name, String option) {
        try {
            return DiskFormat.fromName(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown format '" + name + "' for " + option + " (known: "
                    + DiskFormat.knownNames() + ")");
        }
    }

    /**
     * Validates {@code file} with the default policy; a refusal becomes exit code 1.
     *
     * @param option the option that declared the format, named in the error for an unknown one
     */
    static ValidatedImage validated(ImageValidator validator, Path file, String declared, String option) {
        return declared == null ? validator.check(file) : validator.check(file, format(declared, option));
    }

    static ImageValidator validator() {
        return ImageValidator.of(ImagePolicy.defaults());
    }

    static QemuImg qemu() {
        return QemuImg.system();
    }

    static ObjectNode object() {
        // A node factory, not an ObjectMapper: building a mapper costs a short command a fifth of its start-up.
        return JsonNodeFactory.instance.objectNode();
    }

    private static String oneLine(String text) {
        return text == null ? "failed" : text.replaceAll("\\s*[\\r\\n]+\\s*", "; ").strip();
    }
}
