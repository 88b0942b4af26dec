package dev.diskimage.cli;

import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.ImageException;
import dev.diskimage.core.QemuImg;
import dev.diskimage.validation.ImagePolicy;
import dev.diskimage.validation.ImageValidator;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code image-check}: the pipeline step that validates images before anything else touches them.
 * Exit 0 when every file is accepted, 1 when at least one is refused, 2 for a usage or set-up
 * error or any file that could not be inspected at all, so that a CI job tells an attack from a
 * typo. Files are checked in parallel within one JVM; one file's failure never hides the others'
 * reports.
 */
@Command(name = "image-check", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = {"Validates disk images with pure-Java format inspectors before qemu-img or a volume sees them.",
                "FILE '-' reads the image from standard input; named pipes are read as streams too."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every file accepted",
                "1:at least one file refused (and every file could be inspected)",
                "2:usage or set-up error, or a file that could not be inspected at all (missing, a directory,"
                        + " unreadable, an unmatched glob); its JSON verdict is \"error\""})
public final class ImageCheck implements Callable<Integer> {
    static final int ACCEPTED = 0;
    static final int REJECTED = 1;
    static final int ERROR = 2;

    @Option(names = "--format", paramLabel = "FMT",
            description = "Declared format: ${sys:diskimage.formats}. The bytes must be this format.")
    private String format;

    @Option(names = "--allow-backing-file", arity = "0..1", fallbackValue = "true", paramLabel = "true|false",
            description = "Allow backing files and parent disks (data files and foreign extents are refused"
                    + " regardless). =false overrides a policy file that allows them.")
    private Boolean allowBackingFile;

    @Option(names = "--max-virtual-size", paramLabel = "SIZE",
            description = "Largest virtual size accepted: bytes or units (512M, 1G, 1TiB, 10GB). Default 1PiB.")
    private String maxVirtualSize;

    @Option(names = "--min-virtual-size", paramLabel = "SIZE",
            description = "Smallest virtual size accepted. Default 0: an empty file is a raw image of size 0"
                    + " (accepted with a warning); 1 refuses it.")
    private String minVirtualSize;

    @Option(names = "--vmdk-allowed-types", paramLabel = "a,b", split = ",",
            description = "Allowed VMDK createTypes. Default monolithicSparse,streamOptimized.")
    private List<String> vmdkAllowedTypes;

    @Option(names = "--policy-file", paramLabel = "F",
            description = "JSON policy file; options given here override it, in both directions.")
    private Path policyFile;

    @Option(names = "--qemu-cross-check", arity = "0..1", fallbackValue = "true", paramLabel = "true|false",
            description = "Also read accepted images with qemu-img info (-f, under process limits) and refuse on"
                    + " any disagreement. Needs files, not streams.")
    private Boolean qemuCrossCheck;

    @Option(names = "--json", description = "One JSON object per file (one line each) instead of a table.")
    private boolean json;

    @Option(names = {"-q", "--quiet"}, description = "Print nothing; the exit code is the answer.")
    private boolean quiet;

    @Option(names = {"-v", "--verbose"}, description = "Log what the library does (debug level, on stderr).")
    private boolean verbose;

    @Parameters(paramLabel = "FILE", arity = "1..*", description = "Images to check ('-' for standard input).")
    private List<String> files;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    private final InputStream stdin;

    /** A check that reads FILE {@code -} from {@code stdin}; also the {@code check} subcommand of {@code diskimage}. */
    ImageCheck(InputStream stdin) {
        this.stdin = stdin;
    }

    /**
     * Runs the command and exits the JVM with its exit code.
     *
     * @param args the command line after {@code image-check}: options, then the FILEs to check
     *     ({@code -} for standard input)
     */
    public static void main(String[] args) {
        System.exit(run(args, System.in, CommandLines.stdout(), CommandLines.stderr()));
    }

    /** Runs the command with the given streams; returns the exit code. */
    static int run(String[] args, InputStream in, PrintWriter out, PrintWriter err) {
        return CommandLines.configure(new CommandLine(new ImageCheck(in)), out, err).execute(args);
    }

    @Override
    public Integer call() throws InterruptedException {
        if (verbose) {
            Logging.enableDebug();
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String name = CommandLines.name(spec.commandLine());
        ImagePolicy policy;
        DiskFormat declared;
        try {
            policy = policy();
            declared = format == null ? null : DiskFormat.fromName(format);
        } catch (IllegalArgumentException | ImageException e) {
            err.println(name + ": " + e.getMessage());
            return ERROR;
        }
        ImageValidator validator;
        try {
            validator = validator(policy);
        } catch (IllegalArgumentException | ImageException e) {
            err.println(name + ": " + e.getMessage());
            return ERROR;
        }
        List<CheckOutcome> outcomes = checkAll(new ImageInput(validator, declared, stdin));
        if (!quiet) {
            if (json) {
                outcomes.forEach(outcome -> out.println(ReportJson.render(outcome)));
            } else {
                out.print(ReportTable.render(outcomes));
            }
        }
        if (out.checkError()) {
            err.println(name + ": cannot write the report to standard output");
            return ERROR;
        }
        return exitCode(outcomes);
    }

    static int exitCode(List<CheckOutcome> outcomes) {
        if (outcomes.stream().anyMatch(o -> o.status() == CheckOutcome.Status.ERROR)) {
            return ERROR;
        }
        return outcomes.stream().allMatch(o -> o.status() == CheckOutcome.Status.ACCEPT) ? ACCEPTED : REJECTED;
    }

    /** The validator, with a usable qemu-img found up front when the policy cross-checks. */
    private ImageValidator validator(ImagePolicy policy) {
        if (!policy.qemuCrossCheck()) {
            return ImageValidator.of(policy);
        }
        if (files.stream().anyMatch(ImageInput::isStream)) {
            throw new IllegalArgumentException("--qemu-cross-check needs files: qemu-img cannot re-read standard"
                    + " input or a pipe");
        }
        return ImageValidator.of(policy, QemuImg.system());
    }

    private ImagePolicy policy() {
        if (files.stream().filter(ImageInput.STDIN::equals).count() > 1) {
            throw new IllegalArgumentException("standard input ('-') can be checked only once per run");
        }
        ImagePolicy policy = policyFile == null ? ImagePolicy.defaults() : PolicyFile.read(policyFile);
        if (allowBackingFile != null) {
            policy = policy.withAllowBackingFiles(allowBackingFile);
        }
        if (maxVirtualSize != null) {
            policy = policy.withMaxVirtualSize(SizeParser.parse(maxVirtualSize));
        }
        if (minVirtualSize != null) {
            policy = policy.withMinVirtualSize(SizeParser.parse(minVirtualSize));
        }
        if (vmdkAllowedTypes != null) {
            policy = policy.withVmdkAllowedTypes(new LinkedHashSet<>(vmdkAllowedTypes));
        }
        if (qemuCrossCheck != null) {
            policy = policy.withQemuCrossCheck(qemuCrossCheck);
        }
        return policy;
    }

    private List<CheckOutcome> checkAll(ImageInput input) throws InterruptedException {
        int threads = Math.max(1, Math.min(files.size(), Runtime.getRuntime().availableProcessors()));
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<CheckOutcome>> futures = new ArrayList<>(files.size());
            for (String file : files) {
                futures.add(pool.submit(() -> input.check(file)));
            }
            List<CheckOutcome> outcomes = new ArrayList<>(files.size());
            for (int i = 0; i < futures.size(); i++) {
                outcomes.add(outcome(files.get(i), futures.get(i)));
            }
            return outcomes;
        } finally {
            pool.shutdownNow();
        }
    }

    /** One file's outcome; its failure (a set-up error, a bug) becomes its own error line. */
    private static CheckOutcome outcome(String file, Future<CheckOutcome> future) throws InterruptedException {
        try {
            return future.get();
        } catch (ExecutionException e) {
            log().debug("checking {} failed", file, e.getCause());
            return CheckOutcome.failed(file, FailureText.describe(e.getCause()));
        }
    }

    /** Created on first use, so that {@code --verbose} is in force before the logging backend starts. */
    private static Logger log() {
        return LoggerFactory.getLogger(ImageCheck.class);
    }
}
