from django.db import models


class Student(models.Model):
    first_name = models.CharField(max_length=30)
    last_name = models.CharField(max_length=30)
    email = models.EmailField()
    age = models.PositiveSmallIntegerField()
    # Which run of the CRUD job created the row: the job swaps whole generations.
    generation = models.PositiveIntegerField(default=0, db_index=True, editable=False)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [models.Index(fields=["last_name", "first_name", "id"])]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"
