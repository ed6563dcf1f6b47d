using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RetinaScreen.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class AddSlideAnalysis : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "SlideAnalyses",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    InstanceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    ModelVersionId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    TilesTotal = table.Column<int>(type: "INTEGER", nullable: false),
                    TilesAnalysed = table.Column<int>(type: "INTEGER", nullable: false),
                    TissuePatches = table.Column<int>(type: "INTEGER", nullable: false),
                    Probability = table.Column<double>(type: "REAL", nullable: true),
                    Threshold = table.Column<double>(type: "REAL", nullable: false),
                    Positive = table.Column<bool>(type: "INTEGER", nullable: true),
                    ImageSha256 = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    HeatmapKey = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    TopRegions = table.Column<string>(type: "TEXT", maxLength: 4096, nullable: true),
                    FailureReason = table.Column<string>(type: "TEXT", maxLength: 512, nullable: true),
                    InferenceMilliseconds = table.Column<double>(type: "REAL", nullable: false),
                    StartedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ProgressAt = table.Column<long>(type: "INTEGER", nullable: true),
                    CompletedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SlideAnalyses", x => x.Id);
                    table.ForeignKey(
                        name: "FK_SlideAnalyses_Instances_InstanceId",
                        column: x => x.InstanceId,
                        principalTable: "Instances",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_SlideAnalyses_ModelVersions_ModelVersionId",
                        column: x => x.ModelVersionId,
                        principalTable: "ModelVersions",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_SlideAnalyses_InstanceId_ModelVersionId",
                table: "SlideAnalyses",
                columns: new[] { "InstanceId", "ModelVersionId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_SlideAnalyses_ModelVersionId",
                table: "SlideAnalyses",
                column: "ModelVersionId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "SlideAnalyses");
        }
    }
}
