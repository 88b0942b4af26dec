package dev.diskimage.cli;

import dev.diskimage.core.DiskFormat;
import dev.diskimage.validation.ImagePolicy;
import dev.diskimage.validation.ImageValidator;
import dev.diskimage.validation.ValidationReport;
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
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code image-check}: the pipeline step that validates images before anything else touches them.
 * Exit 0 when every file is accepted, 1 when at least one is rejected, 2 for usage or internal
 * errors. Files are checked in parallel within one JVM.
 */
@Command(name = "image-check", mixinStandardHelpOptions = true, version = "image-check 0.1.0",
        sortOptions = false, usageHelpAutoWidth = true,
        description = "Validates disk images with pure-Java format inspectors before qemu-img or a volume sees them.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every file accepted", "1:at least one file rejected", "2:usage or internal error"})
public final class ImageCheck implements Callable<Integer> {
    static final int ACCEPTED = 0;
    static final int REJECTED = 1;
    static final int ERROR = 2;

    @Option(names = "--format", paramLabel = "FMT",
            description = "Declared format (qemu or Glance name: qcow2, raw, vmdk, vhd/vpc, vhdx, vdi, qed, luks, iso, ploop)."
                    + " The bytes must be this format.")
    private String format;

    @Option(names = "--allow-backing-file", description = "Allow backing files and parent disks (data files and foreign"
            + " extents are refused regardless).")
    private boolean allowBackingFile;

    @Option(names = "--max-virtual-size", paramLabel = "SIZE",
            description = "Largest virtual size accepted: bytes or units (512M, 1G, 1TiB, 10GB). Default 1PiB.")
    private String maxVirtualSize;

    @Option(names = "--vmdk-allowed-types", paramLabel = "a,b", split = ",",
            description = "Allowed VMDK createTypes. Default monolithicSparse,streamOptimized.")
    private List<String> vmdkAllowedTypes;

    @Option(names = "--policy-file", paramLabel = "F", description = "JSON policy file; options given here override it.")
    private Path policyFile;

    @Option(names = "--qemu-cross-check", description = "Also read accepted images with qemu-img info (-f, under"
            + " process limits) and reject on any disagreement.")
    private boolean qemuCrossCheck;

    @Option(names = "--json", description = "One JSON object per file (one line each) instead of a table.")
    private boolean json;

    @Parameters(paramLabel = "FILE", arity = "1..*", description = "Images to check.")
    private List<Path> files;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    /** Runs the command and exits the JVM with its exit code. */
    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command with the given output streams; returns the exit code. */
    static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine commandLine = new CommandLine(new ImageCheck());
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setExecutionExceptionHandler((exception, line, parsed) -> {
            err.println("image-check: " + exception.getMessage());
            return ERROR;
        });
        commandLine.setParameterExceptionHandler((exception, params) -> {
            err.println("image-check: " + exception.getMessage());
            exception.getCommandLine().usage(err);
            return ERROR;
        });
        return commandLine.execute(args);
    }

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ImagePolicy policy;
        DiskFormat declared;
        try {
            policy = policy();
            declared = format == null ? null : DiskFormat.fromName(format);
        } catch (IllegalArgumentException e) {
            err.println("image-check: " + e.getMessage());
            return ERROR;
        }
        ImageValidator validator = ImageValidator.of(policy);
        List<ValidationReport> reports = validateAll(validator, declared);
        if (json) {
            reports.forEach(report -> out.println(ReportJson.render(report)));
        } else {
            out.print(ReportTable.render(reports));
        }
        out.flush();
        return reports.stream().allMatch(ValidationReport::accepted) ? ACCEPTED : REJECTED;
    }

    private ImagePolicy policy() {
        ImagePolicy policy = policyFile == null ? ImagePolicy.defaults() : PolicyFile.read(policyFile);
        if (allowBackingFile) {
            policy = policy.withAllowBackingFiles(true);
        }
        if (maxVirtualSize != null) {
            policy = policy.withMaxVirtualSize(SizeParser.parse(maxVirtualSize));
        }
        if (vmdkAllowedTypes != null) {
            policy = policy.withVmdkAllowedTypes(new LinkedHashSet<>(vmdkAllowedTypes));
        }
        if (qemuCrossCheck) {
            policy = policy.withQemuCrossCheck(true);
        }
        return policy;
    }

    private List<ValidationReport> validateAll(ImageValidator validator, DiskFormat declared)
            throws InterruptedException {
        int threads = Math.max(1, Math.min(files.size(), Runtime.getRuntime().availableProcessors()));
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<ValidationReport>> futures = new ArrayList<>(files.size());
            for (Path file : files) {
                futures.add(pool.submit(() -> validator.validate(file, declared)));
            }
            List<ValidationReport> reports = new ArrayList<>(files.size());
            for (Future<ValidationReport> future : futures) {
                try {
                    reports.add(future.get());
                } catch (ExecutionException e) {
                    throw new IllegalStateException("internal error: " + e.getCause(), e.getCause());
                }
            }
            return reports;
        } finally {
            pool.shutdownNow();
        }
    }
}
