using Microsoft.EntityFrameworkCore.Migrations;

namespace VisRL.Migrations;

/// <summary>A migration whose Up and Down are SQL files embedded in this assembly (Sql/NAME.sql, Sql/NAME.down.sql).</summary>
public abstract class SqlMigration(string name) : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) => migrationBuilder.Sql(Read($"{name}.sql"));

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.Sql(Read($"{name}.down.sql"));

    public static string Read(string file)
    {
        var resource = $"VisRL.Migrations.Sql.{file}";
        using var stream = typeof(SqlMigration).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Migration script {resource} is not embedded.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
