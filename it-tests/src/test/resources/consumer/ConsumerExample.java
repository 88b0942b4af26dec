import dev.diskimage.core.DiskFormat;
import dev.diskimage.validation.ImagePolicy;
import dev.diskimage.validation.ImageValidator;
import dev.diskimage.validation.ValidationReport;
import dev.diskimage.validation.Verdict;
import java.nio.file.Path;

public class ConsumerExample {
    public static void main(String[] args) {
        ImageValidator validator = ImageValidator.of(ImagePolicy.defaults());
        ValidationReport report = validator.validate(Path.of(args[0]), DiskFormat.QCOW2);
        if (report.verdict() != Verdict.ACCEPT) {
            report.findings().forEach(f -> System.out.println(f.code() + ": " + f.message()));
            System.exit(1);
        }
        System.out.println("accepted: " + report.virtualSize().getAsLong() + " bytes");
    }
}
