using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RetinaScreen.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class ReadingRoom : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Adjudications");

            migrationBuilder.DropTable(
                name: "Reviews");

            migrationBuilder.AddColumn<bool>(
                name: "Blind",
                table: "Screenings",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<long>(
                name: "ClaimedAt",
                table: "Screenings",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ClaimedById",
                table: "Screenings",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Device",
                table: "Screenings",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "FinalMetastasis",
                table: "Screenings",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "FinalReferral",
                table: "Screenings",
                type: "TEXT",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "FinalSource",
                table: "Screenings",
                type: "TEXT",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "FinalisedAt",
                table: "Screenings",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "ImagesToGrade",
                table: "Screenings",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "Kind",
                table: "Screenings",
                type: "TEXT",
                maxLength: 16,
                nullable: false,
                defaultValue: "Fundus");

            migrationBuilder.AddColumn<long>(
                name: "LeaseExpiresAt",
                table: "Screenings",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "MetastasisPositive",
                table: "Screenings",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Queue",
                table: "Screenings",
                type: "TEXT",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "ReadingsRequired",
                table: "Screenings",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "HeatmapHeight",
                table: "Predictions",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "HeatmapWidth",
                table: "Predictions",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "HeatmapX",
                table: "Predictions",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "HeatmapY",
                table: "Predictions",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "Readings",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    ScreeningCaseId = table.Column<Guid>(type: "TEXT", nullable: false),
                    ReaderId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Queue = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Referral = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true),
                    ComputedReferral = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true),
                    OverrideReason = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    Metastasis = table.Column<bool>(type: "INTEGER", nullable: true),
                    MetastasisSize = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    Comment = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    Blind = table.Column<bool>(type: "INTEGER", nullable: false),
                    AgreesWithModel = table.Column<bool>(type: "INTEGER", nullable: true),
                    SecondsOnCase = table.Column<double>(type: "REAL", nullable: false),
                    ClaimedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    SubmittedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    LeftDme = table.Column<bool>(type: "INTEGER", nullable: true),
                    LeftGrade = table.Column<int>(type: "INTEGER", nullable: true),
                    LeftUngradable = table.Column<bool>(type: "INTEGER", nullable: true),
                    LeftUngradableReason = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    RightDme = table.Column<bool>(type: "INTEGER", nullable: true),
                    RightGrade = table.Column<int>(type: "INTEGER", nullable: true),
                    RightUngradable = table.Column<bool>(type: "INTEGER", nullable: true),
                    RightUngradableReason = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Readings", x => x.Id);
                    table.CheckConstraint("CK_Readings_LeftGrade", "\"LeftGrade\" IS NULL OR (\"LeftGrade\" >= 0 AND \"LeftGrade\" <= 4)");
                    table.CheckConstraint("CK_Readings_RightGrade", "\"RightGrade\" IS NULL OR (\"RightGrade\" >= 0 AND \"RightGrade\" <= 4)");
                    table.ForeignKey(
                        name: "FK_Readings_Screenings_ScreeningCaseId",
                        column: x => x.ScreeningCaseId,
                        principalTable: "Screenings",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Screenings_Queue_Priority_ReceivedAt",
                table: "Screenings",
                columns: new[] { "Queue", "Priority", "ReceivedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Readings_ReaderId_SubmittedAt",
                table: "Readings",
                columns: new[] { "ReaderId", "SubmittedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Readings_ScreeningCaseId_ReaderId",
                table: "Readings",
                columns: new[] { "ScreeningCaseId", "ReaderId" },
                unique: true);

            // Cases opened before this migration: a study holding a whole slide is a slide case.
            migrationBuilder.Sql("""
                UPDATE "Screenings" SET "Kind" = 'Slide'
                WHERE "StudyId" IN (SELECT s."StudyId" FROM "Series" s JOIN "Instances" i ON i."SeriesId" = s."Id"
                                    WHERE i."SopClassUid" = '1.2.840.10008.5.1.4.1.1.77.1.6')
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Readings");

            migrationBuilder.DropIndex(
                name: "IX_Screenings_Queue_Priority_ReceivedAt",
                table: "Screenings");

            migrationBuilder.DropColumn(
                name: "Blind",
                table: "Screenings");

            migrationBuilder.DropColumn(
                name: "ClaimedAt",
                table: "Screenings");

            migrationBuilder.DropColumn(
                name: "ClaimedById",
                table: "Screenings");

            migrationBuilder.DropColumn(
                name: "Device",
                table: "Screenings");

            migrationBuilder.DropColumn(
                name: "FinalMetastasis",
                table: "Screenings");

            migrationBuilder.DropColumn(
                name: "FinalReferral",
                table: "Screenings");

            migrationBuilder.DropColumn(
                name: "FinalSource",
                table: "Screenings");

            migrationBuilder.DropColumn(
                name: "FinalisedAt",
                table: "Screenings");

            migrationBuilder.DropColumn(
                name: "ImagesToGrade",
                table: "Screenings");

            migrationBuilder.DropColumn(
                name: "Kind",
                table: "Screenings");

            migrationBuilder.DropColumn(
                name: "LeaseExpiresAt",
                table: "Screenings");

            migrationBuilder.DropColumn(
                name: "MetastasisPositive",
                table: "Screenings");

            migrationBuilder.DropColumn(
                name: "Queue",
                table: "Screenings");

            migrationBuilder.DropColumn(
                name: "ReadingsRequired",
                table: "Screenings");

            migrationBuilder.DropColumn(
                name: "HeatmapHeight",
                table: "Predictions");

            migrationBuilder.DropColumn(
                name: "HeatmapWidth",
                table: "Predictions");

            migrationBuilder.DropColumn(
                name: "HeatmapX",
                table: "Predictions");

            migrationBuilder.DropColumn(
                name: "HeatmapY",
                table: "Predictions");

            migrationBuilder.CreateTable(
                name: "Adjudications",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    ScreeningCaseId = table.Column<Guid>(type: "TEXT", nullable: false),
                    AdjudicatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    AdjudicatorId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Grade = table.Column<int>(type: "INTEGER", nullable: true),
                    Rationale = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    ReferableDme = table.Column<bool>(type: "INTEGER", nullable: true),
                    ReferableDr = table.Column<bool>(type: "INTEGER", nullable: true),
                    Ungradable = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Adjudications", x => x.Id);
                    table.CheckConstraint("CK_Adjudications_Grade", "\"Grade\" IS NULL OR (\"Grade\" >= 0 AND \"Grade\" <= 4)");
                    table.ForeignKey(
                        name: "FK_Adjudications_Screenings_ScreeningCaseId",
                        column: x => x.ScreeningCaseId,
                        principalTable: "Screenings",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "Reviews",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    ScreeningCaseId = table.Column<Guid>(type: "TEXT", nullable: false),
                    AgreesWithModel = table.Column<bool>(type: "INTEGER", nullable: true),
                    Comment = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    Grade = table.Column<int>(type: "INTEGER", nullable: true),
                    ReferableDme = table.Column<bool>(type: "INTEGER", nullable: true),
                    ReferableDr = table.Column<bool>(type: "INTEGER", nullable: true),
                    ReviewedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ReviewerId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Ungradable = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Reviews", x => x.Id);
                    table.CheckConstraint("CK_Reviews_Grade", "\"Grade\" IS NULL OR (\"Grade\" >= 0 AND \"Grade\" <= 4)");
                    table.ForeignKey(
                        name: "FK_Reviews_Screenings_ScreeningCaseId",
                        column: x => x.ScreeningCaseId,
                        principalTable: "Screenings",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Adjudications_ScreeningCaseId",
                table: "Adjudications",
                column: "ScreeningCaseId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Reviews_ReviewerId_ReviewedAt",
                table: "Reviews",
                columns: new[] { "ReviewerId", "ReviewedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Reviews_ScreeningCaseId_ReviewerId",
                table: "Reviews",
                columns: new[] { "ScreeningCaseId", "ReviewerId" },
                unique: true);
        }
    }
}
