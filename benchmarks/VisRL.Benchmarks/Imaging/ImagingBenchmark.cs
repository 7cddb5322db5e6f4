using System.Diagnostics;
using System.Globalization;
using System.Text;
using VisRL.Imaging;
using VisRL.Imaging.Synthetic;

namespace VisRL.Benchmarks.Imaging;

/// <summary>
/// `./visrl bench imaging`: synthetic items per second (with and without PNG encoding), and JPEG
/// decode per second of the 1700×2200 document fixtures against ImageMagick (/usr/bin/convert)
/// on the same files in the same run. ImageMagick's per-process start-up is measured on one
/// decode and subtracted, so the ratio compares decoding, not process launch.
/// </summary>
public static class ImagingBenchmark
{
    private const string ImageMagickConvert = "/usr/bin/convert";

    public static BenchmarkReport Run(BenchmarkContext ctx)
    {
        var numbers = new Dictionary<string, double>();
        var md = new StringBuilder();
        md.AppendLine("## Imaging").AppendLine();

        // --- synthetic generation ---
        int items = ctx.Quick ? 300 : 3000, encoded = ctx.Quick ? 100 : 1000;
        var generator = new SyntheticGenerator(new SyntheticOptions(), seed: 1);
        ctx.Progress("imaging: warming up the generator");
        foreach (var _ in generator.Generate(0, 50)) { }
        ctx.Progress($"imaging: generating {items} items");
        var watch = Stopwatch.StartNew();
        long checksum = 0;
        foreach (var item in generator.Generate(1000, items)) checksum += item.Image.Pixels[0];
        double itemsPerSecond = items / watch.Elapsed.TotalSeconds;
        foreach (var item in generator.Generate(500, 30)) ImageCodec.EncodePng(item.Image); // JIT warm-up
        ctx.Progress($"imaging: generating and PNG-encoding {encoded} items");
        watch.Restart();
        long bytes = 0;
        foreach (var item in generator.Generate(100_000, encoded)) bytes += ImageCodec.EncodePng(item.Image).Length;
        double encodedPerSecond = encoded / watch.Elapsed.TotalSeconds;
        numbers["synthetic_items_per_s"] = itemsPerSecond;
        numbers["synthetic_items_png_per_s"] = encodedPerSecond;
        numbers["synthetic_png_kib_per_item"] = bytes / 1024.0 / encoded;

        md.AppendLine("Synthetic benchmark generator (448×448 scenes, default options, one thread):").AppendLine();
        md.AppendLine("| measure | value |").AppendLine("| --- | ---: |");
        md.AppendLine(Invariant($"| items/s, pixels only | {itemsPerSecond:F0} |"));
        md.AppendLine(Invariant($"| items/s, with PNG encoding | {encodedPerSecond:F0} |"));
        md.AppendLine(Invariant($"| PNG size per item | {bytes / 1024.0 / encoded:F1} KiB |"));
        md.AppendLine();

        // --- JPEG decode against ImageMagick ---
        int repeats = ctx.Quick ? 3 : 10;
        md.AppendLine(Invariant($"JPEG decode of the 1700×2200 fixtures, {repeats} decodes each (VisRL.Imaging via libturbojpeg, in process; ImageMagick `{ImageMagickConvert}` decoding {repeats} copies in one process, start-up subtracted):")).AppendLine();
        md.AppendLine("| file | VisRL.Imaging decodes/s | ImageMagick decodes/s | ratio |").AppendLine("| --- | ---: | ---: | ---: |");
        bool haveMagick = File.Exists(ImageMagickConvert);
        foreach (string name in new[] { "shedule.jpg", "tel.jpg" })
        {
            string path = Path.Combine(ctx.FixturesDirectory, name);
            if (!File.Exists(path)) path = Path.Combine(ctx.FixturesDirectory, "real-images", name);
            byte[] data = File.ReadAllBytes(path);
            ctx.Progress($"imaging: decoding {name}");
            ImageCodec.Decode(data, name);
            watch.Restart();
            for (int i = 0; i < repeats; i++) checksum += ImageCodec.Decode(data, name).Pixels[0];
            double ours = repeats / watch.Elapsed.TotalSeconds;
            string key = Path.GetFileNameWithoutExtension(name);
            numbers[$"jpeg_{key}_decodes_per_s"] = ours;
            if (haveMagick)
            {
                double magick = ImageMagickDecodesPerSecond(path, repeats);
                numbers[$"jpeg_{key}_imagemagick_decodes_per_s"] = magick;
                numbers[$"jpeg_{key}_ratio"] = ours / magick;
                md.AppendLine(Invariant($"| {name} | {ours:F1} | {magick:F1} | {ours / magick:F2}× |"));
            }
            else
            {
                md.AppendLine(Invariant($"| {name} | {ours:F1} | (missing: run the install script for imagemagick) | — |"));
            }
        }
        md.AppendLine();
        md.AppendLine(Invariant($"Machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}. Checksum {checksum}."));
        return new BenchmarkReport("imaging", md.ToString(), numbers);
    }

    /// <summary>Decodes/s of ImageMagick: time(n copies) − time(1 copy), over n − 1 decodes, best of 2.</summary>
    private static double ImageMagickDecodesPerSecond(string path, int repeats)
    {
        double best = double.MaxValue;
        for (int trial = 0; trial < 2; trial++)
        {
            double one = TimeConvert(path, 1), many = TimeConvert(path, repeats + 1);
            best = Math.Min(best, Math.Max(1e-6, many - one) / repeats);
        }
        return 1 / best;
    }

    private static double TimeConvert(string path, int copies)
    {
        var args = new StringBuilder();
        for (int i = 0; i < copies; i++) args.Append('"').Append(path).Append("\" ");
        args.Append("null:");
        var info = new ProcessStartInfo(ImageMagickConvert, args.ToString()) { UseShellExecute = false, RedirectStandardError = true };
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start ImageMagick");
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"ImageMagick failed: {error}");
        return watch.Elapsed.TotalSeconds;
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
