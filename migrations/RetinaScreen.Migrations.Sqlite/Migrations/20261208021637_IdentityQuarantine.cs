using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RetinaScreen.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class IdentityQuarantine : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "QuarantinedInstances",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Detail = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    SopInstanceUid = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    SopClassUid = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    StudyInstanceUid = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    SeriesInstanceUid = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    PatientId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    IssuerOfPatientId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    PatientName = table.Column<string>(type: "TEXT", maxLength: 194, nullable: true),
                    PatientBirthDate = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true),
                    PatientSex = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true),
                    ConflictingPatientId = table.Column<Guid>(type: "TEXT", nullable: true),
                    ConflictingStudyId = table.Column<Guid>(type: "TEXT", nullable: true),
                    ConflictingInstanceId = table.Column<Guid>(type: "TEXT", nullable: true),
                    StorageKey = table.Column<string>(type: "TEXT", maxLength: 512, nullable: false),
                    Sha256 = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    SizeBytes = table.Column<long>(type: "INTEGER", nullable: false),
                    Source = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    Device = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    SourceAddress = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    ReceivedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Release = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    ResolvedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    ResolvedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    ReleaseError = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    ReleasedInstanceId = table.Column<Guid>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_QuarantinedInstances", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_QuarantinedInstances_SopInstanceUid",
                table: "QuarantinedInstances",
                column: "SopInstanceUid");

            migrationBuilder.CreateIndex(
                name: "IX_QuarantinedInstances_Status_ReceivedAt",
                table: "QuarantinedInstances",
                columns: new[] { "Status", "ReceivedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_QuarantinedInstances_StorageKey",
                table: "QuarantinedInstances",
                column: "StorageKey");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "QuarantinedInstances");
        }
    }
}
