using VisRL.Platform.Persistence;

namespace VisRL.Platform.Tests;

public class SnakeCaseTests
{
    [Theory]
    [InlineData("TrainingJobId", "training_job_id")]
    [InlineData("Id", "id")]
    [InlineData("GtX1", "gt_x1")]
    [InlineData("PK_Items", "pk_items")]
    [InlineData("IX_Candidates_IterationId_ItemId", "ix_candidates_iteration_id_item_id")]
    [InlineData("ConfigJson", "config_json")]
    public void ConvertsEfNamesToSnakeCase(string name, string expected) => Assert.Equal(expected, VisRLDbContext.ToSnakeCase(name));
}
