using System.CommandLine;
using Spectre.Console;
using VisRL.Cli.Infrastructure;
using VisRL.Data;
using VisRL.Data.Preview;
using VisRL.Imaging;
using VisRL.Modeling;

namespace VisRL.Cli.Commands;

/// <summary>`visrl generate`: one item through the two-turn protocol → box, crop preview PNG, answer.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint (hash prefix or id)", Required = true };
        var item = new Option<long>("--item") { Description = "Item id", Required = true };
        var output = new Option<FileInfo?>("--out") { Description = "Preview PNG (default item-ID-preview.png); the crop goes beside it" };
        var temperature = new Option<double>("--temperature") { Description = "0 = greedy", DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 0 };
        var command = new Command("generate", "Run the focus protocol on one item: box, crop preview, answer.") { checkpoint, item, output, temperature, seed };
        command.SetAction(async (parse, ct) =>
        {
            var stores = new CliStores();
            var reference = await stores.Checkpoints.ResolveAsync(parse.GetValue(checkpoint)!, ct);
            using var model = ModelCheckpoint.Load(await stores.Checkpoints.FetchAsync(reference, Path.Combine(stores.WorkFolder, "cache"), ct));
            var stored = (await StoredItems.LoadByIdAsync(stores.Datasets, [parse.GetValue(item)], ct))[0];
            var sampling = new SamplingOptions { Temperature = parse.GetValue(temperature) };
            var box = model.GenerateBox([new BoxRequest(stored.Image, stored.Row.Question, parse.GetValue(seed))], sampling)[0];
            var answer = box.Box is { } b ? model.GenerateAnswer([new AnswerRequest(stored.Image, stored.Row.Question, b, parse.GetValue(seed))], sampling)[0] : "(no box)";

            var path = parse.GetValue(output)?.FullName ?? Path.GetFullPath($"item-{stored.Row.Id}-preview.png");
            var overlays = new List<PreviewOverlay>();
            if (stored.Row.GtBox() is { } gt) overlays.Add(PreviewOverlay.GroundTruth(gt));
            if (box.Box is { } predicted) overlays.Add(new PreviewOverlay(predicted, new Rgb(0, 200, 255), "pred"));
            File.WriteAllBytes(path, ImageCodec.EncodePng(PreviewRenderer.Render(stored.Image, overlays)));
            if (box.Box is { } cropBox)
                File.WriteAllBytes(Path.ChangeExtension(path, null) + "-crop.png", ImageCodec.EncodePng(model.CropView(stored.Image, cropBox)));

            AnsiConsole.MarkupLine($"question  {Markup.Escape(stored.Row.Question)}");
            AnsiConsole.MarkupLine($"box       {Markup.Escape(box.Text)}");
            AnsiConsole.MarkupLine($"answer    {Markup.Escape(answer)}  (standard: {Markup.Escape(stored.Row.StandardAnswer)})");
            AnsiConsole.MarkupLine($"preview   {Markup.Escape(path)}");
            return 0;
        });
        return command;
    }
}
