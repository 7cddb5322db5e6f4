using VisRL.Imaging;
using VisRL.Imaging.Geometry;
using VisRL.Imaging.Synthetic;

namespace VisRL.Modeling;

/// <summary>
/// Training sequences from the synthetic benchmark. Base model (M_org, no CoT): each scene is seen
/// at several zoom levels around the target (global, 4×), as three jittered crops of the GT box
/// (so crops of imperfect predicted boxes stay readable), and as a crop of a random region that
/// does not overlap the target (the answer is not visible there: the model learns to be unsure, which
/// is what makes P(answer | crop) a useful critic). SFT: the two-turn sequence with the GT box and
/// its jittered crop (shift ±20 %, scale 0.9–1.6: at test time the crop comes from a predicted box), loss on the box tokens of turn 1 and the answer of turn 2.
/// Scenes are rendered in parallel and only their small views are kept.
/// </summary>
public static class SyntheticData
{
    /// <param name="legibleOnly">Only the exact GT crop (glyph centered, one scale): the first stage of the
    /// base curriculum, which gets the model off the "answer = prior" plateau; mixed views did not in CPU-minutes.</param>
    public static IReadOnlyList<TokenSequence> BaseExamples(Protocol protocol, SyntheticGenerator generator, long start, int count, int seed, bool legibleOnly = false) =>
        BaseExamples(protocol, i => LabeledScene.From(generator.Generate(i)), start, count, seed, legibleOnly);

    /// <summary>The same from stored scenes (e.g. a dataset in storage).</summary>
    public static IReadOnlyList<TokenSequence> BaseExamples(Protocol protocol, IReadOnlyList<LabeledScene> scenes, int seed, bool legibleOnly = false) =>
        BaseExamples(protocol, i => scenes[(int)i], 0, scenes.Count, seed, legibleOnly);

    private static IReadOnlyList<TokenSequence> BaseExamples(Protocol protocol, Func<long, LabeledScene> scene, long start, int count, int seed, bool legibleOnly)
    {
        int size = protocol.Config.ImageSize;
        var perItem = new TokenSequence[count][];
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, k =>
        {
            var item = scene(start + k);
            var rng = new Random(DeterministicSeed.Of(seed, start + k));
            // 2× (a 224 px window: glyphs ~4 px) reads poorly at 64 px, so it is left out: four of six views are legible
            // (reading is what has to be learned; the unreadable views teach the model to stay unsure).
            var views = SceneZoom.Render(item.Image, item.GtBox, [1, 4], size).Select(v => v.Image).ToList();
            views.Add(Views.Crop(item.Image, Jitter(item.GtBox, rng, 0.25, 0.9, 1.8), size));
            views.Add(Views.Crop(item.Image, Jitter(item.GtBox, rng, 0.1, 0.95, 1.3), size));
            views.Add(Views.Crop(item.Image, Jitter(item.GtBox, rng, 0.1, 0.95, 1.3), size));
            views.Add(Views.Crop(item.Image, OffTarget(item.GtBox, rng), size));
            if (legibleOnly) views = [Views.Crop(item.Image, item.GtBox, size)];
            perItem[k] = [.. views.Select(v => protocol.NoCot(v, item.Question, item.Answer))];
        });
        return [.. perItem.SelectMany(x => x)];
    }

    /// <param name="mirrored">Add each scene's two-turn sequence seen mirrored after the scenes (twice the sequences): turn 1 on the
    /// <see cref="Mirroring.Scene"/> (view, question and box flipped), turn 2's crop unflipped, so its glyph still reads.</param>
    public static IReadOnlyList<TokenSequence> SftExamples(Protocol protocol, SyntheticGenerator generator, long start, int count, int seed, bool mirrored = false) =>
        SftExamples(protocol, i => LabeledScene.From(generator.Generate(i)), start, count, seed, mirrored);

    /// <summary>The same from stored scenes (e.g. a dataset in storage).</summary>
    public static IReadOnlyList<TokenSequence> SftExamples(Protocol protocol, IReadOnlyList<LabeledScene> scenes, int seed, bool mirrored = false) =>
        SftExamples(protocol, i => scenes[(int)i], 0, scenes.Count, seed, mirrored);

    private static IReadOnlyList<TokenSequence> SftExamples(Protocol protocol, Func<long, LabeledScene> scene, long start, int count, int seed, bool mirrored)
    {
        int size = protocol.Config.ImageSize;
        var result = new TokenSequence[mirrored ? 2 * count : count];
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, k =>
        {
            var item = scene(start + k);
            var rng = new Random(DeterministicSeed.Of(seed, start + k, 1));
            // As loose as M_org's jittered crops: at test time the crop comes from a predicted box, which is rarely exact.
            var crop = Views.Crop(item.Image, Jitter(item.GtBox, rng, 0.2, 0.9, 1.6), size);
            result[k] = protocol.AnswerTurn(Views.Global(item.Image, size), item.Question, item.GtBox, crop, item.Answer, boxIsResponse: true);
            if (!mirrored) return;
            var mirror = Mirroring.Scene(item);
            result[count + k] = protocol.AnswerTurn(Views.Global(mirror.Image, size), mirror.Question, mirror.GtBox, crop, item.Answer, boxIsResponse: true);
        });
        return result;
    }

    /// <summary>The box moved by up to ±shift of its size and scaled by [minScale, maxScale], clamped to the image.</summary>
    public static Box Jitter(Box box, Random rng, double shift, double minScale, double maxScale)
    {
        double s = minScale + rng.NextDouble() * (maxScale - minScale);
        double w = box.Width * s, h = box.Height * s;
        double cx = box.CenterX + (rng.NextDouble() * 2 - 1) * shift * box.Width, cy = box.CenterY + (rng.NextDouble() * 2 - 1) * shift * box.Height;
        return new Box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2).Clamp();
    }

    /// <summary>A random box of the target's size that does not intersect it (the critic's "random non-overlapping crop").</summary>
    public static Box OffTarget(Box target, Random rng)
    {
        double w = Math.Min(target.Width, 0.5), h = Math.Min(target.Height, 0.5);
        for (int attempt = 0; attempt < 200; attempt++)
        {
            double x = rng.NextDouble() * (1 - w), y = rng.NextDouble() * (1 - h);
            var candidate = new Box(x, y, x + w, y + h);
            if (BoxIou.Intersection(candidate, target) == 0) return candidate;
        }
        // The target covers most of the image: take the corner farthest from it.
        return target.CenterX > 0.5 ? new Box(0, 0, w, h) : new Box(1 - w, 1 - h, 1, 1);
    }
}
