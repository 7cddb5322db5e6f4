using System.Diagnostics;
using Xunit.Abstractions;
using static VisRL.Torch.torch;

namespace VisRL.Torch.Tests;

public sealed class TrainingLoopMemoryTests(ITestOutputHelper output)
{
    /// <summary>Stated bound: after warm-up, 4,500 more steps may grow the process RSS by at most this much.</summary>
    private const long RssGrowthBoundBytes = 48L << 20;

    [Fact]
    public void Five_thousand_steps_in_dispose_scopes_keep_rss_bounded()
    {
        manual_seed(11);
        using var model = new TinyMlp(input: 32, hidden: 64, output: 10);
        using var optimizer = optim.AdamW(model.parameters(), lr: 3e-3);
        using var inputs = randn(16, 32);
        using var targets = randint(0, 10, [16]);

        double firstLoss = 0, lastLoss = 0;
        long rssAfterWarmup = 0;
        for (var step = 0; step < 5000; step++)
        {
            using (var scope = NewDisposeScope())
            {
                optimizer.zero_grad();
                var loss = nn.functional.cross_entropy(model.call(inputs), targets);
                loss.backward();
                nn.utils.clip_grad_norm_(model.parameters(), 1.0);
                optimizer.step();
                if (step == 0) firstLoss = loss.item<float>();
                if (step == 4999) lastLoss = loss.item<float>();
            }
            if (step == 499) rssAfterWarmup = Rss();
        }
        var growth = Rss() - rssAfterWarmup;
        output.WriteLine($"RSS after warm-up {rssAfterWarmup >> 20} MiB, growth over 4,500 steps {growth / 1024} KiB; loss {firstLoss:F3} → {lastLoss:F3}");
        Assert.True(growth <= RssGrowthBoundBytes, $"RSS grew by {growth >> 20} MiB over 4,500 steps (bound {RssGrowthBoundBytes >> 20} MiB)");
        Assert.True(lastLoss < firstLoss * 0.5, $"loss should fall: {firstLoss} → {lastLoss}");
    }

    private static long Rss()
    {
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64;
    }
}
