namespace VisRL.Imaging.Geometry;

/// <summary>
/// Resampling. <see cref="Area"/> averages every source pixel a target pixel covers (with
/// fractional weights at the edges, like OpenCV INTER_AREA for downscaling): the honest model of
/// "what a low-resolution sensor would see", used for the downscaled global view.
/// <see cref="Bilinear"/> uses half-pixel centers without antialiasing (OpenCV INTER_LINEAR).
/// </summary>
public static class Resize
{
    public static RgbImage Bilinear(RgbImage image, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        var result = new RgbImage(width, height);
        var (x0, x1, fx) = BilinearAxis(image.Width, width);
        var (y0, y1, fy) = BilinearAxis(image.Height, height);
        var src = image.Pixels;
        var dst = result.Pixels;
        int stride = image.Stride;
        for (int y = 0; y < height; y++)
        {
            int r0 = y0[y] * stride, r1 = y1[y] * stride;
            float wy = fy[y];
            int d = y * width * 3;
            for (int x = 0; x < width; x++)
            {
                int c0 = x0[x] * 3, c1 = x1[x] * 3;
                float wx = fx[x];
                for (int c = 0; c < 3; c++)
                {
                    float top = src[r0 + c0 + c] + (src[r0 + c1 + c] - src[r0 + c0 + c]) * wx;
                    float bottom = src[r1 + c0 + c] + (src[r1 + c1 + c] - src[r1 + c0 + c]) * wx;
                    dst[d++] = (byte)(top + (bottom - top) * wy + 0.5f);
                }
            }
        }
        return result;
    }

    /// <summary>Area-averaging resize; for enlargement (where area averaging degenerates to nearest
    /// neighbour) it falls back to bilinear on that axis, as OpenCV does.</summary>
    public static RgbImage Area(RgbImage image, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (width > image.Width || height > image.Height)
        {
            // Mixed or upscaling: bilinear is the sensible choice for the enlarged axis.
            if (width >= image.Width && height >= image.Height) return Bilinear(image, width, height);
            var step = Area(image, Math.Min(width, image.Width), Math.Min(height, image.Height));
            return Bilinear(step, width, height);
        }
        var xs = AreaAxis(image.Width, width);
        var ys = AreaAxis(image.Height, height);
        // Horizontal pass into floats, then vertical pass into bytes.
        var temp = new float[image.Height * width * 3];
        var src = image.Pixels;
        for (int y = 0; y < image.Height; y++)
        {
            int rowBase = y * image.Stride, t = y * width * 3;
            for (int x = 0; x < width; x++)
            {
                var (start, weights) = xs[x];
                float r = 0, g = 0, b = 0;
                for (int k = 0; k < weights.Length; k++)
                {
                    int s = rowBase + (start + k) * 3;
                    float w = weights[k];
                    r += src[s] * w; g += src[s + 1] * w; b += src[s + 2] * w;
                }
                temp[t++] = r; temp[t++] = g; temp[t++] = b;
            }
        }
        var result = new RgbImage(width, height);
        var dst = result.Pixels;
        int rowFloats = width * 3;
        var acc = new float[rowFloats];
        for (int y = 0; y < height; y++)
        {
            var (start, weights) = ys[y];
            Array.Clear(acc);
            for (int k = 0; k < weights.Length; k++)
            {
                float w = weights[k];
                var row = temp.AsSpan((start + k) * rowFloats, rowFloats);
                for (int i = 0; i < rowFloats; i++) acc[i] += row[i] * w;
            }
            int d = y * rowFloats;
            for (int i = 0; i < rowFloats; i++) dst[d + i] = (byte)Math.Clamp(acc[i] + 0.5f, 0, 255);
        }
        return result;
    }

    /// <summary>Resizes by <paramref name="mode"/>.</summary>
    public static RgbImage To(RgbImage image, int width, int height, ResizeMode mode) =>
        mode == ResizeMode.Area ? Area(image, width, height) : Bilinear(image, width, height);

    private static (int[] I0, int[] I1, float[] F) BilinearAxis(int source, int target)
    {
        var i0 = new int[target];
        var i1 = new int[target];
        var f = new float[target];
        double scale = (double)source / target;
        for (int i = 0; i < target; i++)
        {
            double s = (i + 0.5) * scale - 0.5;
            if (s < 0) s = 0;
            int a = (int)s;
            if (a >= source - 1) { a = source - 1; s = a; }
            i0[i] = a;
            i1[i] = Math.Min(a + 1, source - 1);
            f[i] = (float)(s - a);
        }
        return (i0, i1, f);
    }

    private static (int Start, float[] Weights)[] AreaAxis(int source, int target)
    {
        var result = new (int, float[])[target];
        double scale = (double)source / target;
        for (int i = 0; i < target; i++)
        {
            double from = i * scale, to = (i + 1) * scale;
            int start = (int)Math.Floor(from), end = Math.Min(source, (int)Math.Ceiling(to));
            var weights = new float[end - start];
            for (int s = start; s < end; s++)
                weights[s - start] = (float)((Math.Min(to, s + 1) - Math.Max(from, s)) / scale);
            result[i] = (start, weights);
        }
        return result;
    }
}
