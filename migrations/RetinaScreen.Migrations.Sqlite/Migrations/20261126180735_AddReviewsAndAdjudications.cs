using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RetinaScreen.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class AddReviewsAndAdjudications : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Adjudications",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    ScreeningCaseId = table.Column<Guid>(type: "TEXT", nullable: false),
                    AdjudicatorId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Grade = table.Column<int>(type: "INTEGER", nullable: true),
                    ReferableDr = table.Column<bool>(type: "INTEGER", nullable: true),
                    ReferableDme = table.Column<bool>(type: "INTEGER", nullable: true),
                    Ungradable = table.Column<bool>(type: "INTEGER", nullable: false),
                    Rationale = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    AdjudicatedAt = table.Column<long>(type: "INTEGER", nullable: false)
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
                    ReviewerId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Grade = table.Column<int>(type: "INTEGER", nullable: true),
                    ReferableDr = table.Column<bool>(type: "INTEGER", nullable: true),
                    ReferableDme = table.Column<bool>(type: "INTEGER", nullable: true),
                    Ungradable = table.Column<bool>(type: "INTEGER", nullable: false),
                    AgreesWithModel = table.Column<bool>(type: "INTEGER", nullable: true),
                    Comment = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    ReviewedAt = table.Column<long>(type: "INTEGER", nullable: false)
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

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Adjudications");

            migrationBuilder.DropTable(
                name: "Reviews");
        }
    }
}
