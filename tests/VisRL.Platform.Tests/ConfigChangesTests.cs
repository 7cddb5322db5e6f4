using VisRL.Cli.Commands;

namespace VisRL.Platform.Tests;

/// <summary>`visrl run retry --config FILE --set PATH=VALUE` as one JSON object of changes (pure).</summary>
public class ConfigChangesTests
{
    [Fact]
    public void NoOptionsAskNoChanges() => Assert.Null(ConfigChanges.From(null, []));

    [Fact]
    public void EachSetWritesItsPath_ItsValueReadAsJsonOrElseAsText()
    {
        var changes = ConfigChanges.From(null, ["thresholds.minBox=0.3", "thresholds.pairsPerItem=2", "training.evalDataset=fresh-set", "training.evalItems=null"]);
        Assert.Equal("""{"thresholds":{"minBox":0.3,"pairsPerItem":2},"training":{"evalDataset":"fresh-set","evalItems":null}}""", changes!.ToJsonString());
    }

    [Fact]
    public void SetGoesOverTheFile()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, """{"thresholds":{"minBox":0.9,"maxBox":0.1}}""");
            Assert.Equal("""{"thresholds":{"minBox":0.4,"maxBox":0.1}}""", ConfigChanges.From(file, ["thresholds.minBox=0.4"])!.ToJsonString());
        }
        finally { File.Delete(file); }
    }

    [Theory]
    [InlineData("minBox")]
    [InlineData("=0.3")]
    [InlineData("thresholds..minBox=0.3")]
    public void ASetWithoutPathAndValueIsRefusedNamingIt(string set)
    {
        var error = Assert.Throws<ArgumentException>(() => ConfigChanges.From(null, [set]));
        Assert.Equal($"--set '{set}': give PATH=VALUE, e.g. thresholds.minBox=0.3", error.Message);
    }
}
