package dev.diskimage.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Whole-process benchmark: validates N generated images with one {@code image-check} call and
 * compares that with what Cinder does per image, a {@code qemu-img info -f FMT --output=json}
 * process each, measured in the same run on the same files. Prints the ratio and the bytes
 * {@code image-check} read per image. A second baseline runs each qemu-img under {@code prlimit},
 * as Cinder does.
 *
 * <p>Usage: {@code ImageCheckVsQemuInfo <image-check launcher> <work dir> [count]}.
 */
public final class ImageCheckVsQemuInfo {
    /** Formats cycled through; qemu-img creates each in milliseconds. */
    private static final String[][] KINDS = {
        {"qcow2", "qcow2", ""}, {"vmdk", "vmdk", "subformat=monolithicSparse"}, {"vpc", "vhd", "subformat=dynamic"},
        {"vhdx", "vhdx", ""}, {"vdi", "vdi", ""}, {"qed", "qed", ""}, {"raw", "raw", ""},
        {"qcow2", "qcow2", "compat=0.10"}, {"vpc", "vhd", "subformat=fixed"}, {"luks", "luks", ""},
    };

    private ImageCheckVsQemuInfo() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: ImageCheckVsQemuInfo <image-check launcher> <work dir> [count]");
            System.exit(2);
        }
        Path launcher = Path.of(args[0]);
        Path dir = Path.of(args[1]);
        int count = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
        Files.createDirectories(dir);
        List<Path> images = new ArrayList<>();
        List<String> formats = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String[] kind = KINDS[i % KINDS.length];
            Path image = dir.resolve(String.format(Locale.ROOT, "img-%04d.%s", i, kind[1]));
            if (!Files.exists(image)) {
                create(kind, image);
            }
            images.add(image);
            formats.add(kind[0]);
        }

        // Warm the page cache for both contenders alike.
        run(command(launcher, images, true));
        long start = System.nanoTime();
        String output = run(command(launcher, images, true));
        double ours = (System.nanoTime() - start) / 1e9;

        start = System.nanoTime();
        for (int i = 0; i < images.size(); i++) {
            run(List.of("qemu-img", "info", "-f", formats.get(i), "--output=json", "-U", images.get(i).toString()));
        }
        double baseline = (System.nanoTime() - start) / 1e9;

        // Cinder runs qemu-img info under process limits; prlimit(1) is the leanest form of that.
        start = System.nanoTime();
        for (int i = 0; i < images.size(); i++) {
            run(List.of("prlimit", "--cpu=30", "--as=1073741824", "--", "qemu-img", "info", "-f", formats.get(i),
                    "--output=json", "-U", images.get(i).toString()));
        }
        double limited = (System.nanoTime() - start) / 1e9;

        long bytesRead = 0;
        long maxBytes = 0;
        int accepted = 0;
        ObjectMapper mapper = new ObjectMapper();
        for (String line : output.split("\n")) {
            JsonNode report = mapper.readTree(line);
            long read = report.get("bytes_read").asLong();
            bytesRead += read;
            maxBytes = Math.max(maxBytes, read);
            accepted += report.get("verdict").asText().equals("accept") ? 1 : 0;
        }
        System.out.printf(Locale.ROOT, "images: %d (%d accepted)%n", count, accepted);
        System.out.printf(Locale.ROOT, "image-check, one call:      %8.2f s  (%.2f ms/image)%n", ours, ours * 1000 / count);
        System.out.printf(Locale.ROOT, "qemu-img info loop:         %8.2f s  (%.2f ms/image)%n", baseline,
                baseline * 1000 / count);
        System.out.printf(Locale.ROOT, "prlimit qemu-img info loop: %8.2f s  (%.2f ms/image)%n", limited,
                limited * 1000 / count);
        System.out.printf(Locale.ROOT, "speed-up vs qemu-img info:  %8.1fx%n", baseline / ours);
        System.out.printf(Locale.ROOT, "speed-up vs prlimit loop:   %8.1fx%n", limited / ours);
        System.out.printf(Locale.ROOT, "bytes read per image:       %8d average, %d max%n", bytesRead / count, maxBytes);
    }

    private static List<String> command(Path launcher, List<Path> images, boolean json) {
        List<String> command = new ArrayList<>(List.of(launcher.toString()));
        if (json) {
            command.add("--json");
        }
        images.forEach(image -> command.add(image.toString()));
        return command;
    }

    private static void create(String[] kind, Path image) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("qemu-img", "create", "-q", "-f", kind[0]));
        if (kind[0].equals("luks")) {
            command.addAll(List.of("--object", "secret,id=sec0,data=benchmark", "-o", "key-secret=sec0,iter-time=10"));
        }
        if (!kind[2].isEmpty()) {
            command.addAll(List.of("-o", kind[2]));
        }
        command.addAll(List.of(image.toString(), "64M"));
        // qemu-img's LUKS key setup now and then fails to time its PBKDF ("Unable to get accurate
        // CPU usage"); a second attempt succeeds. Any other failure stops the benchmark.
        for (int attempt = 1; ; attempt++) {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (process.waitFor() == 0) {
                return;
            }
            if (attempt == 10) {
                throw new IllegalStateException("qemu-img create failed: " + output);
            }
        }
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] out = process.getInputStream().readAllBytes();
        int exit = process.waitFor();
        if (exit != 0 && exit != 1) {
            throw new IllegalStateException(command.get(0) + " exited " + exit);
        }
        return new String(out, StandardCharsets.UTF_8);
    }
}
