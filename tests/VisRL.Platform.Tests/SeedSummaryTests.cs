using Spectre.Console;
using VisRL.Cli.Reports;

namespace VisRL.Platform.Tests;

/// <summary>`visrl demo --seeds N`: the summary over the seeds.</summary>
public sealed class SeedSummaryTests
{
    private static ResultRow Row(string label, double answer, double? detection) =>
        new(label, "c", "cot", Guid.Empty, answer, detection, 300);

    [Fact]
    public void EachRowIsAveragedOverTheSeedsWithItsRange_AndEachStepCountsTheSeedsThatRoseAndFell()
    {
        IReadOnlyList<ResultRow>[] seeds =
        [
            [Row("SFT", 0.50, 0.40), Row("SFT+RL1", 0.53, 0.40), Row("SFT+RL1+RL2", 0.56, 0.45)],
            [Row("SFT", 0.60, 0.50), Row("SFT+RL1", 0.58, 0.52), Row("SFT+RL1+RL2", 0.60, 0.51)],
        ];
        var (rows, steps) = SeedSummary.Of(seeds);

        Assert.Equal(["SFT", "SFT+RL1", "SFT+RL1+RL2"], rows.Select(r => r.Label));
        Assert.Equal(0.55, rows[0].MeanAnswer, 9);
        Assert.Equal((0.50, 0.60), (rows[0].MinAnswer, rows[0].MaxAnswer));
        Assert.Equal(0.48, rows[2].MeanDetection!.Value, 9);
        Assert.Equal((0.45, 0.51), (rows[2].MinDetection, rows[2].MaxDetection));

        // SFT → +RL1, +RL1 → +RL1+RL2, and SFT → +RL1+RL2.
        Assert.Equal([("SFT", "SFT+RL1"), ("SFT+RL1", "SFT+RL1+RL2"), ("SFT", "SFT+RL1+RL2")], steps.Select(s => (s.Before, s.After)));
        Assert.Equal(0.005, steps[0].MeanAnswer, 9);                    // (+0.03 − 0.02) / 2
        Assert.Equal((1, 1), (steps[0].AnswerUp, steps[0].AnswerDown));
        Assert.Equal((1, 0), (steps[0].DetectionUp, steps[0].DetectionDown)); // 0.40 → 0.40 is neither
        Assert.Equal(0.03, steps[2].MeanAnswer, 9);                     // (+0.06 + 0.00) / 2
        Assert.Equal((1, 0), (steps[2].AnswerUp, steps[2].AnswerDown));
        Assert.Equal(0.03, steps[2].MeanDetection!.Value, 9);           // (+0.05 + 0.01) / 2
    }

    [Fact]
    public void SeedsWithOtherRowsOrNoSeedsAreRefusedByName()
    {
        IReadOnlyList<ResultRow>[] seeds = [[Row("SFT", 0.5, 0.4), Row("SFT+RL1", 0.5, 0.4)], [Row("SFT", 0.5, 0.4)]];
        var e = Assert.Throws<ArgumentException>(() => SeedSummary.Of(seeds));
        Assert.Contains("seed 1 has rows [SFT]", e.Message);
        Assert.Throws<ArgumentException>(() => SeedSummary.Of([]));
    }

    [Fact]
    public void WithoutDetectionTheDetectionColumnsAreEmpty_AndTheTablesReadAsPlainText()
    {
        IReadOnlyList<ResultRow>[] seeds = [[Row("SFT", 0.5, null), Row("SFT+RL1", 0.6, null)], [Row("SFT", 0.7, 0.1), Row("SFT+RL1", 0.6, 0.2)]];
        var (rows, steps) = SeedSummary.Of(seeds);
        Assert.Null(rows[0].MeanDetection);
        Assert.Null(steps[0].MeanDetection);
        Assert.Single(steps);                                           // two rows: one step, no first → last

        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(writer) });
        console.Profile.Width = 200;
        SeedSummary.Write(console, rows, steps);
        var text = writer.ToString();
        Assert.Contains("over 2 seeds", text);
        Assert.Contains("60.0 % [50.0, 70.0]", text);                   // brackets are text, not markup
        Assert.Contains("SFT → SFT+RL1", text);
        Assert.Contains("0.0 (1 up/1 down)", text);
        Assert.Contains(SeedSummary.Legend, text);
    }

    [Fact]
    public void TheReportsFragmentIsWellFormedWithOneRowPerModelAndPerStep()
    {
        IReadOnlyList<ResultRow>[] seeds = [[Row("SFT<", 0.5, 0.4), Row("SFT+RL1", 0.6, 0.5)], [Row("SFT<", 0.7, 0.6), Row("SFT+RL1", 0.6, 0.5)]];
        var (rows, steps) = SeedSummary.Of(seeds);
        var root = System.Xml.Linq.XElement.Parse($"<div>{SeedSummary.Html(rows, steps)}</div>");
        var tables = root.Elements("table").ToList();
        Assert.Equal(2, tables.Count);
        Assert.Equal(1 + 2, tables[0].Elements("tr").Count());          // header + two models
        Assert.Equal(1 + 1, tables[1].Elements("tr").Count());          // header + one step
        Assert.Equal("SFT<", tables[0].Elements("tr").ElementAt(1).Elements("td").First().Value); // escaped in the markup, read back as text
        Assert.Equal("50.0 % [40.0, 60.0]", tables[0].Elements("tr").ElementAt(1).Elements("td").Last().Value);
        Assert.Equal("0.0 (1 up/1 down)", tables[1].Elements("tr").ElementAt(1).Elements("td").ElementAt(1).Value);
    }
}
