from students.models import Student
from students.search import index_students, refresh_index

# Names chosen so that no student is one typo away from another's name.
PEOPLE = [
    ("John", "Smith", "john.smith@example.com", 31),
    ("Johanna", "Smithers", "jo.smithers@school.org", 24),
    ("Jon", "Snow", "winter@north.net", 19),
    ("José", "Şeker", "jose.seker@example.com", 42),
    ("İlhan", "Işık", "ilhan@okul.tr", 37),
    ("Ayşe", "Yılmaz", "ayse.yilmaz@okul.tr", 22),
    ("Mary", "O'Brien", "mary.obrien@example.com", 55),
    ("Zoë", "Ångström", "zoe@physics.se", 28),
]


def make_students(rows=PEOPLE):
    """Save students the way bulk writers do (no signals), then index them explicitly."""
    students = Student.objects.bulk_create(
        Student(first_name=first, last_name=last, email=email, age=age)
        for first, last, email, age in rows
    )
    index_students(students)
    refresh_index()
    return {f"{student.first_name} {student.last_name}": student.pk for student in students}
