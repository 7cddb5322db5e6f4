using System.Diagnostics;

namespace VisRL.Imaging.Tests;

/// <summary>
/// Debian's ImageMagick (/usr/bin/convert, never the stand-in first on PATH) as the independent
/// reference decoder. Missing → the test fails and says how to fix it; it never skips.
/// </summary>
internal static class ImageMagick
{
    public const string Convert = "/usr/bin/convert";

    public static void Require()
    {
        if (!File.Exists(Convert))
            Assert.Fail($"{Convert} (ImageMagick) is missing: run the project's install script (it installs the Debian imagemagick package)");
    }

    /// <summary>Decodes a file with -auto-orient, composited on white, to 8-bit RGB.</summary>
    public static RgbImage Decode(string path)
    {
        Require();
        var (width, height) = Size(path);
        byte[] rgb = Run($"\"{path}\" -auto-orient -background white -alpha remove -alpha off -depth 8 rgb:-");
        Assert.Equal((long)width * height * 3, rgb.LongLength);
        return new RgbImage(width, height, rgb);
    }

    public static (int Width, int Height) Size(string path)
    {
        string text = System.Text.Encoding.ASCII.GetString(Run($"\"{path}\" -auto-orient -format \"%w %h\" info:"));
        var parts = text.Trim().Split(' ');
        return (int.Parse(parts[0]), int.Parse(parts[1]));
    }

    /// <summary>Runs convert with the given arguments and returns stdout.</summary>
    public static byte[] Run(string arguments)
    {
        Require();
        var info = new ProcessStartInfo(Convert, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(info)!;
        var output = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(output);
        string error = process.StandardError.ReadToEnd();
        copy.Wait();
        process.WaitForExit();
        if (process.ExitCode != 0)
            Assert.Fail($"convert {arguments} failed ({process.ExitCode}): {error}");
        return output.ToArray();
    }

    public static double MeanAbsDiff(RgbImage a, RgbImage b)
    {
        Assert.Equal(a.Width, b.Width);
        Assert.Equal(a.Height, b.Height);
        long sum = 0;
        for (int i = 0; i < a.Pixels.Length; i++) sum += Math.Abs(a.Pixels[i] - b.Pixels[i]);
        return (double)sum / a.Pixels.Length;
    }
}
